"""``linli demo``: the local Bot API emulator, the real bot and a web page, in one process."""
