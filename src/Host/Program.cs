// Entry point; the hosting work fills this in (CLI, configuration, listener).
return 0;
