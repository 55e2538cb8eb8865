"""Start-up (issue 12): a command imports its own module only; the lazy table stays in step."""

from __future__ import annotations

import importlib
import subprocess
import sys

from screen.cli import app


def test_lazy_command_table_names_every_command_of_each_module() -> None:
    for module_name, names in app.COMMAND_MODULES.items():
        module = importlib.import_module(f"screen.cli.{module_name}")
        assert tuple(c.name for c in module.COMMANDS) == names, module_name


def test_help_lists_every_command_and_score_loads_no_other_command_module() -> None:
    code = (
        "import sys\n"
        "from screen.cli.app import main\n"
        "try:\n"
        "    main(['score', '--help'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(sorted(m for m in sys.modules if m.startswith('screen.cli.')))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert proc.stdout.strip().splitlines()[-1] == "['screen.cli.app', 'screen.cli.common']"
    listed = subprocess.run(
        [sys.executable, "-m", "screen", "--help"], capture_output=True, text=True, check=True
    ).stdout
    commands = listed.split("Commands:")[1]
    for names in app.COMMAND_MODULES.values():
        for name in names:
            assert f"\n  {name} " in commands, name
