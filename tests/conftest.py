pytest_plugins = ["relnotes.testing.pytest_plugin"]
