"""The live classroom (issue #18): rooms in a database, a service with validation, keys, limits
and expiry (service.py), live updates without Gradio's queue (live.py), and the HTTP API under
/classroom/ (http.py). Imports no Gradio: the Classroom tab (playground/ui/classroom.py) and
scripts use the HTTP API; tests and the bench may use the service directly."""
from playground.classroom.checks import RoomError  # noqa: F401
from playground.classroom.config import ClassroomConfig  # noqa: F401
from playground.classroom.service import RoomService  # noqa: F401
