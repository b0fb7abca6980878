"""Latent Space Playground: pretrained generative models you can explore in the browser."""
