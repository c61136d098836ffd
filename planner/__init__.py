"""precinct-planner: walking-distance coverage planning for district police stations."""

from planner.errors import InputError, PlannerError, SolverError
from planner.settings import WalkSettings

__version__ = "0.1.0"

__all__ = ["InputError", "PlannerError", "SolverError", "WalkSettings", "__version__"]
