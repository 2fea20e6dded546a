"""The reliability suite: faults, crashes, bad input and rights (issue 10)."""
