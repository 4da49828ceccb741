"""Resident mode: a long-running ``imgsearch daemon`` answers ``imgsearch search`` calls.

A one-off search spends most of its time loading: imports, the model, the index. The
daemon keeps all three loaded for one index and listens on a Unix socket whose place
follows from the index (:mod:`.address`); ``imgsearch search`` finds it there before it
imports anything heavy (:mod:`.client`), hands over its argument list, working folder
and environment, and prints what the daemon's run of the very same command printed,
exiting with its status (:mod:`.answering`). With no daemon, a daemon of another index or
model, or a daemon that dies mid-request, the call runs locally as before.
"""
