"""What the network has learnt, computed in pure NumPy (no Qt): the top data set patches and
a synthesised image for a channel, Grad-CAM and guided backpropagation, 2-D embeddings of a
layer, the smallest change that fools the network, and what the classroom views show: the
arithmetic of one conv pixel, receptive fields, gradient saliency and occlusion, the layer
texts. Layers are named as in ``net.trace`` and ``net.describe()``; nothing here names a
layer or assumes LeNet's layout."""

from .attribution import GradCam, Saliency, grad_cam, gradient_saliency, guided_backprop, upsample
from .occlusion import occluded_batch, occlusion_drop, occlusion_grid, occlusion_positions
from .embedding import (Embedding, align, embedding, features_and_predictions, layer_features,
                        top_eigenvectors,
                        pca_2d, tsne_2d)
from .fool import Fooled, fool
from .maximize import Synthesised, maximize_activation
from .network_walk import (LayerInfo, channel_layers, detached_copy, find_layer,
                           last_conv_activation, layer_infos, penultimate_layer, spatial_layers)
from .receptive_field import ReceptiveField, Window, layer_window, receptive_field
from .top_patches import TopPatches, channel_activation, class_means, top_patches
from .channel_weights import channel_weights

__all__ = [
    "Saliency", "gradient_saliency", "occluded_batch", "occlusion_drop", "occlusion_grid",
    "occlusion_positions",
    "Embedding", "Fooled", "GradCam", "LayerInfo", "ReceptiveField", "Synthesised",
    "TopPatches", "align", "channel_activation", "channel_layers", "channel_weights",
    "detached_copy", "features_and_predictions", "top_eigenvectors",
    "class_means",
    "embedding", "find_layer", "fool", "grad_cam", "guided_backprop", "last_conv_activation",
    "layer_features", "layer_infos", "maximize_activation", "pca_2d", "penultimate_layer",
    "receptive_field", "spatial_layers", "Window", "layer_window", "top_patches", "tsne_2d", "upsample",
]
