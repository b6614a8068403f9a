"""The readiness dashboard: server-rendered HTML pages and inline SVG charts over the views.

No front-end build: pages gather their views (`api.dashboard.pages`) and are rendered from
Jinja2 templates with autoescaping (`templates/`, `api.dashboard.templating`); charts are SVG
made on the server (`api.dashboard.charts`, escaped by MarkupSafe through
`api.dashboard.markup`), and the one stylesheet lives in `static/`. The routes are in
`api.routers.dashboard`.
"""
