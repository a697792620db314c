"""The SP4N-LAPOR! connector: imports the reports LAPOR! disposes to the city, exports their
follow-ups back, and forwards reports outside the city's authority to LAPOR!."""
