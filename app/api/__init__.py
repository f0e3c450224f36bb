"""/api/v1: JSON for provider systems and partner referrals (issue 9). Thin routes over each domain's
schemas and services; wired by `app.api.setup.register_api`."""
