"""Serving the studio to a team: who may see which run, sign-in sessions, when
the server may listen on a network, which server folders it may read.

The public names below load their module on first use (see
:mod:`core._exports`).
"""

from core._exports import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(
    __name__,
    {
        "access": [
            "AccessError",
            "DEFAULT_RUNS_PER_USER",
            "LOCAL",
            "RunLimitError",
            "UserLimits",
            "Viewer",
            "admins_from",
            "check_run_limit",
            "identity",
            "not_found_message",
            "require_visible",
            "visible",
            "visible_items",
            "visible_records",
        ],
        "live_app": [
            "CHROMIUM",
            "free_port",
            "launch_chromium",
            "running_app",
            "start_app",
            "stop",
            "wait_healthy",
        ],
        "server_paths": ["DATA_ROOT_VARIABLE", "allowed_folder"],
        "serving": [
            "ServingError",
            "auth_problems",
            "check_serving",
            "is_loopback",
            "providers",
            "read_secrets",
        ],
        "sessions": ["SignOuts", "check_session", "session_hours"],
    },
)
