"""Pure business rules: calendars and business time, shifts, routing, SLA clocks, metrics."""
