"""After the answer: conditions, obligations, certificates, reminders."""
