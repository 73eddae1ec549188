"""The training curves' TensorBoard tags: one home for their names.

TensorBoard's Time Series tab groups tags by the text before the first "/", sorts the groups by name and
opens the first two. The groups are numbered so that it opens on the tutorial's curves, in the tutorial's
order: the losses (with the penalties D's loss adds), what D says of reals and fakes, the divergence, and
G's gradient norm; then the compute spent (seconds, real images seen), samples, test/... and val/... (fixed
names).
"""

GROUPS = {
    "d_real_loss": "1_losses",
    "d_fake_loss": "1_losses",
    "d_loss": "1_losses",
    "g_loss": "1_losses",
    "d_gradient_penalty": "1_losses",
    "d_r1_penalty": "1_losses",
    "d_class_loss": "1_losses",
    "g_class_loss": "1_losses",
    "d_real_prob": "2_discriminator",
    "d_fake_prob": "2_discriminator",
    "d_real_score": "2_discriminator",
    "d_fake_score": "2_discriminator",
    "augment_p": "2_discriminator",
    "d_lr": "2_discriminator",
    "g_lr": "4_generator",
    "divergence": "3_divergence",
    "g_grad_norm": "4_generator",
    "wall_clock_s": "5_compute",
    "images_seen": "5_compute",
}
# Runs written before version 0.2 logged every curve as train/<name>.
LEGACY_GROUP = "train"


def tag(name: str) -> str:
    """The TensorBoard tag of a training curve, e.g. tag("d_loss") == "1_losses/d_loss"."""
    return f"{GROUPS[name]}/{name}"
