"""qemu.qmp's qmp-shell, its messages ending with a newline (see
newline_framing): the same entry point as the `qmp-shell` console
script, with the same arguments."""

import sys

import newline_framing

newline_framing.install()

# pylint: disable=wrong-import-position
from qemu.qmp.qmp_shell import main  # noqa: E402

sys.exit(main())
