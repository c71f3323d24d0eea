"""Private numba code: generators, samplers and the trajectory kernel.

Nothing here imports from the public layer; the engine lowers public specs to the
integer codes of :mod:`.codes` and to parameter arrays before calling in.
"""
