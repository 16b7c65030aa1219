"""serve-batch on Ray Data, for when one machine is not enough. Ray is imported only here."""
