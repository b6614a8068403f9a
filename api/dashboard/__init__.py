"""The readiness dashboard: server-rendered HTML pages and inline SVG charts over the views.

No template engine and no front-end build: pages are composed in Python with escaping by
default (`api.dashboard.markup`), charts are SVG made on the server (`api.dashboard.charts`),
and the one stylesheet lives in `static/`. The routes are in `api.routers.dashboard`.
"""
