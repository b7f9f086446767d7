"""The simulated microscope: lens physics, stigmators and a camera that renders Thon rings."""
