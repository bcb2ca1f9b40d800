"""The web console: plain HTML, CSS and JavaScript served by the API, calling the public REST API."""
