"""Small pieces every keyword library shares: the target, the component skeleton, the Robot-facing
polling wrapper, AssertionEngine getters and HTML logging. Robot-free helpers live in ``lhcommon``."""
