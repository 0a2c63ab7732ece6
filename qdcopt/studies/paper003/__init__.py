"""Paper 003, network swapping: Figs. 6-9, their sensitivity, promise and repeater studies."""
