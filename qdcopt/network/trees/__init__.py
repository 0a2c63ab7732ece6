"""The tree methods: iterative and greedy trees and tree copies (``builders``) and the
fastest purification-augmented tree for a fidelity target (``past``)."""
