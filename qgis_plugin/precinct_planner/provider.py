"""The Processing provider "Precinct planner" and its one setting, the planner command."""

import os
from pathlib import Path

from qgis.core import QgsProcessingProvider
from qgis.PyQt.QtGui import QIcon

from .algorithms import ALGORITHMS

#: Processing > Options > Providers > Precinct planner > "planner command".
SETTING_COMMAND = "PRECINCT_PLANNER_COMMAND"
#: Environment variable read when the setting is empty (handy for qgis_process), before PATH.
ENV_COMMAND = "PRECINCT_PLANNER_COMMAND"


def planner_command_setting():
    """The planner command: the provider setting, else $PRECINCT_PLANNER_COMMAND, else None
    (then ``planner`` is looked up on PATH)."""
    value = None
    try:
        from processing.core.ProcessingConfig import ProcessingConfig

        value = ProcessingConfig.getSetting(SETTING_COMMAND)
    except Exception:
        value = None
    if value:
        return str(value)
    return os.environ.get(ENV_COMMAND) or None


class PrecinctPlannerProvider(QgsProcessingProvider):
    def id(self):
        return "precinct_planner"

    def name(self):
        return "Precinct planner"

    def longName(self):  # noqa: N802
        return "Precinct planner (walking coverage of police stations)"

    def icon(self):
        return QIcon(str(Path(__file__).with_name("icon.svg")))

    def load(self):
        try:
            from processing.core.ProcessingConfig import ProcessingConfig, Setting

            ProcessingConfig.settingIcons[self.name()] = self.icon()
            ProcessingConfig.addSetting(
                Setting(
                    self.name(),
                    SETTING_COMMAND,
                    "planner command (full path; empty: 'planner' on the PATH)",
                    "",
                    valuetype=Setting.FILE,
                )
            )
            ProcessingConfig.readSettings()
        except Exception:
            pass
        self.refreshAlgorithms()
        return True

    def unload(self):
        try:
            from processing.core.ProcessingConfig import ProcessingConfig

            ProcessingConfig.removeSetting(SETTING_COMMAND)
        except Exception:
            pass

    def loadAlgorithms(self):  # noqa: N802
        for cls in ALGORITHMS:
            self.addAlgorithm(cls())
