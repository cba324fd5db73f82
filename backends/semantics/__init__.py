"""torch's semantics, shared by the reference backends: type promotion, shape rules, argument checks.

Imports only the contract (``tensorparity.backends``); the NumPy/CuPy and pure-Python
backends both import it, so each rule is written once.
"""
