"""The plugin object QGIS loads: it registers the Processing provider, nothing else."""

from qgis.core import QgsApplication

from .provider import PrecinctPlannerProvider


class PrecinctPlannerPlugin:
    def __init__(self, iface):
        self.iface = iface
        self.provider = None

    def initProcessing(self):  # noqa: N802 - QGIS's name
        self.provider = PrecinctPlannerProvider()
        QgsApplication.processingRegistry().addProvider(self.provider)

    def initGui(self):  # noqa: N802 - QGIS's name
        self.initProcessing()

    def unload(self):
        if self.provider is not None:
            QgsApplication.processingRegistry().removeProvider(self.provider)
            self.provider = None
