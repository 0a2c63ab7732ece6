"""Paper 001, the ModEn-Hub: Fig. 3 with exact values, and the hub beyond the paper."""
