"""What people read about a run: the change log, the terminal summary, the HTML report."""
