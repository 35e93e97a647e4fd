"""Engines shared by the emulated account and the simulation, with no state of their own: the
CloudWatch Logs filter-pattern language (``log_patterns``) and Logs Insights queries
(``insights``). The emulator answers FilterLogEvents and StartQuery with them; the simulation's
metric filters match with them. They sit below both, so neither imports the other."""
