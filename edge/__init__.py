"""The one way in from outside the worker: the CLI, the scenario runner, the benches and the
web desk talk to the engine only through these services.

::

    connect    the client (data converter) and open_edge: services for one municipality
    errors     THE translator: Temporal failure → models.errors
    loaders    YAML/JSON → models (documents, councils, plans, payloads, the municipality)
    cases      CaseService: start, act (engine-only triggers refused), read; list_cases (SQL)
    councils   CouncilService: register, read, plan sessions (and reach them)
    sessions   SessionService: read sessions, send acts by name; who does each act
    documents  generate on demand (DocumentWorkflow), list (SQL)
    vendors    a vendor's certificate news, for every case relying on it
    calendars  deadlines as iCalendar: a department's file, each desk user's secret feed URL
    admin      namespace and search-attribute setup; (repairs are CaseService.admin)
    scenarios  drive a scenario file against the engine

Workflow ids come from ``models.ids`` only.
"""
