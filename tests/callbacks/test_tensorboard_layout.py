"""TensorBoardLayout: the Custom Scalars tab's charts, written into the TensorBoard run when training starts."""

from tensorboard.plugins.custom_scalar import layout_pb2, metadata

from gan_lightning.callbacks import TensorBoardLayout
from gan_lightning.callbacks.tensorboard_layout import LAYOUT
from tests.callbacks.stub import fit
from tests.helpers import tensorboard_events


def test_the_layout_names_every_chart_and_its_tags(tmp_path):
    fit(tmp_path, [TensorBoardLayout()], iterations=1)
    events = tensorboard_events(tmp_path)
    (config,) = events.Tensors(metadata.CONFIG_SUMMARY_TAG)  # the layout, serialized into a string tensor
    stored = layout_pb2.Layout.FromString(config.tensor_proto.string_val[0])
    charts = {
        (category.title, chart.title): list(chart.multiline.tag)
        for category in stored.category
        for chart in category.chart
    }
    assert charts == {(title, chart): tags for title, group in LAYOUT.items() for chart, (_, tags) in group.items()}
