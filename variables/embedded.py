"""Target: the embedded platform of this checkout (local processes; the default).

    robot -V variables/embedded.py suites
"""

from lhkit.target import embedded_target


def get_variables() -> dict:
    return {"LH_TARGET": embedded_target().as_variables()}
