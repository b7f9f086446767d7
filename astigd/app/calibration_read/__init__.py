"""Read stored calibrations back: current rows, their ages, K and the stigmator response."""
