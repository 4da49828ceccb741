"""The vector index's readers–writer lock: shared reads, exclusive and preferred writes."""

from __future__ import annotations

import threading

from imgsearch.store.sqlite.rwlock import ReadWriteLock


def test_readers_share_writers_exclude_and_a_waiting_writer_goes_before_new_readers() -> None:
    lock = ReadWriteLock()
    order: list[str] = []
    first_in, release_first = threading.Event(), threading.Event()

    def first_reader() -> None:
        with lock.reading():
            first_in.set()
            release_first.wait(10)
            order.append("first reader out")

    def writer() -> None:
        with lock.writing():
            order.append("writer")

    def late_reader() -> None:
        with lock.reading():
            order.append("late reader")

    threads = [threading.Thread(target=first_reader)]
    threads[0].start()
    assert first_in.wait(10)
    with lock.reading():  # a second reader gets in while the first holds the lock
        order.append("second reader")
    threads.append(threading.Thread(target=writer))
    threads[1].start()
    while not lock._writers_waiting:  # the writer now waits for the first reader
        threading.Event().wait(0.001)
    threads.append(threading.Thread(target=late_reader))
    threads[2].start()
    threading.Event().wait(0.05)
    assert order == ["second reader"]  # neither the writer nor the late reader got in
    release_first.set()
    for thread in threads:
        thread.join(10)
    assert order == ["second reader", "first reader out", "writer", "late reader"]
