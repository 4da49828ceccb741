"""What the tests and benchmarks build and do not ship: random-init checkpoints of the real
architectures (:mod:`.checkpoints`), pictures of several objects with their boxes
(:mod:`.objects`), near-duplicate variants (:mod:`.variants`) and pictures of words
(:mod:`.words`)."""
