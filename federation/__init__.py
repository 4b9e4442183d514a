"""ActivityPub federation building blocks, free of `server` imports so they test alone."""
