"""Calendar feeds: ``scopes`` says what each kind of feed holds, ``builder`` versions and renders any of them."""
