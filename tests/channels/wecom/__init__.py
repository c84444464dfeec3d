"""The WeCom integration: callback crypto and the gateway."""
