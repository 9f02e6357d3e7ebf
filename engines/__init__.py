"""Pure engines that interpret app definitions. They never touch a database, the network or the clock."""
