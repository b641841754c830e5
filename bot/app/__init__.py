"""The app shell: the aiohttp app and its parts, the admin API, the CLI, the demo."""
