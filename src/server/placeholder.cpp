namespace kvd::server {}
