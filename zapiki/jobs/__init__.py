"""Running proof jobs: the dispatcher (in the serving process), the Dask worker side (`worker`, `preload`,
`drain`, `supervise`) and the prover child processes (`isolation`, `child`, `wire`, `execute`).

Empty on purpose: a worker's preload imports `zapiki.jobs.preload` without loading the rest.
"""
