"""QGIS plugin "Precinct planner": the planner as a Processing provider.

QGIS calls :func:`classFactory`; QGIS's Processing (and ``qgis_process``) calls the plugin's
``initProcessing()``, which registers the provider. Nothing QGIS-specific is imported at module
level, so :mod:`precinct_planner.runner` can be used and tested without QGIS.
"""


def classFactory(iface):  # noqa: N802 - the name QGIS looks for
    from .plugin import PrecinctPlannerPlugin

    return PrecinctPlannerPlugin(iface)
