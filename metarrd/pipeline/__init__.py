"""The pipeline: jobs on the queue chain the stages (scan → identify → enrich → publish → notify).

`jobs` is the one Huey task and the one place that enqueues; `steps` runs each kind of job;
`chain` decides what follows; `watch` turns file events into scan jobs; `daemon` is `metarrd run`.
"""
