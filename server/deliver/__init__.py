"""Delivering what local actors publish: fan-out into rows (`fanout`), then POSTs
(`deliverer`), performing what `federation.delivery` decides."""
