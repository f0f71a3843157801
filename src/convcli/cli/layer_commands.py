"""The commands of CNN layers: conv-transpose, grad, pool, shape, layers and kernels. Each reads its
operands, calls the core, and hands the result to emit."""

from __future__ import annotations

import os
from typing import Annotated, Any

import typer

from convcli import formats, formats_layers, formats_steps, parsing
from convcli.errors import ConvcliError, UsageError
from convcli.model import (
    Convention,
    GradOf,
    Op,
    OpOptions,
    PoolKind,
    PoolOf,
    SlidingOp,
)

from .emit import (
    NOT_PLAYED,
    emit,
    page_or,
    play_animation,
    read_layer,
    read_pair,
    read_pooled,
    step_cap,
    views,
    wants_play,
)
from .help_panels import LAYER, OPERATION, OUTPUT, choices, examples
from .option_values import int_list, pool_options, whole_count, whole_option
from .options import (
    AArg,
    AtOpt,
    BArg,
    CeilModeOpt,
    CountPadOpt,
    DelayOpt,
    DilationOpt,
    Float64Opt,
    GradOfOpt,
    LayerPaddingOpt,
    MaxStepsOpt,
    OutputPaddingOpt,
    PoolDilationOpt,
    PoolKindOpt,
    PoolOfOpt,
    PoolPaddingOpt,
    PoolSizeOpt,
    PoolStrideOpt,
    SlidingOpArg,
    StrideOpt,
    UpstreamOpt,
    WArg,
    XArg,
)
from .shared_options import Run, define_command


@define_command(
    "conv-transpose",
    "Transposed convolution (torch's conv_transpose2d): each cell of A scatters A[i,j]·B at its "
    "stride offset.",
    examples(
        'convcli conv-transpose "0 1; 2 3" "0 1; 2 3"',
        'convcli conv-transpose "0 1; 2 3" "0 1; 2 3" --stride 2',
        'convcli conv-transpose "0 1; 2 3" "0 1; 2 3" --stride 2 --steps',
    ),
    sliding=False,
)
def conv_transpose_command(
    a: AArg,
    b: BArg,
    stride: StrideOpt = "1",
    padding: LayerPaddingOpt = "0",
    output_padding: OutputPaddingOpt = "0",
    dilation: DilationOpt = "1",
    channels: Annotated[
        bool,
        typer.Option(
            "--channels",
            help="A is C_in x H x W and B is C_in x C_out x kh x kw (torch's layout).",
            rich_help_panel=LAYER,
        ),
    ] = False,
    groups: Annotated[
        str,
        typer.Option(
            "--groups",
            metavar="G",
            help="With --channels, torch's groups: B is C_in x C_out/G x kh x kw, and each group of "
            "input channels scatters only into its own output channels.",
            rich_help_panel=LAYER,
        ),
    ] = "1",
    show_steps: Annotated[
        bool,
        typer.Option(
            "--steps",
            help="Show the scatter-add and the equivalent zero-stuffed convolution.",
            rich_help_panel=OPERATION,
        ),
    ] = False,
    at: AtOpt = None,
    max_steps: MaxStepsOpt = 25,
    play: Annotated[
        bool,
        typer.Option(
            "--play",
            help="With --steps, on a terminal: animate the scatter-add (space pauses, the arrow keys "
            "step, q stops).",
            rich_help_panel=OUTPUT,
        ),
    ] = False,
    delay: DelayOpt = None,
    float64: Float64Opt = False,
    *,
    run: Run,
) -> None:
    from convcli.model import TransposeOptions
    from convcli.transpose import conv_transpose, scatter_steps

    if float64 and show_steps:
        raise UsageError("--float64 rounds a result, and --steps derives it exactly: give one of them")
    animate = wants_play(play, delay, run)
    A, B = read_pair(a, b, run.exact)
    options = TransposeOptions(
        stride=int_list(stride, "stride"),
        padding=int_list(padding, "padding"),
        output_padding=int_list(output_padding, "output-padding"),
        dilation=int_list(dilation, "dilation"),
        channels=channels,
        groups=whole_count(groups, "groups"),
    )
    if show_steps or play:  # --play is --steps animated
        cell = None if at is None else int_list(at, "at")

        def animation() -> Any:
            from convcli.frames_transpose import animate_scatter

            return animate_scatter(A, B, options, at=cell, max_steps=step_cap(max_steps))

        if animate:
            play_animation(animation(), run, delay, [a, b])
            return
        view = scatter_steps(A, B, options, at=cell, max_steps=step_cap(max_steps))
        emit(
            run,
            [a, b],
            page_or(lambda f: formats_steps.format_scatter(view, f), animation, delay, {"A": a, "B": b}),
            lambda width: views("render_steps").scatter_view(view, width=width),
            (NOT_PLAYED,) if play else (),
            pages=True,
        )
        return
    result = conv_transpose(A, B, options)
    if float64:
        result = formats.rounded_to_float64(result)
    emit(
        run,
        [a, b],
        lambda f: formats.format_transpose(result, f),
        lambda width: views().transpose_view(result, width=width),
        result.notes,
    )


@define_command(
    "grad",
    "The gradients of a layer Y = correlate(X, W) (+ bias; or convolve, --op) for the loss "
    "L = sum(G * Y): dX, dW and db, as torch's autograd gives them, and the rules that form them.",
    examples(
        'convcli grad "0 1 2 3; 4 5 6 7; 8 9 10 11; 12 13 14 15" "1 2; 3 4" --upstream "1 2; 3 4" --stride 2',
        "convcli grad samples/A.txt samples/B.txt --of weight",
        "convcli grad samples/A.txt samples/B.txt --of weight | convcli check samples/A.txt samples/B.txt "
        "--op grad-weight --answer -",
    ),
    sliding=True,
)
def grad_command(
    x: XArg,
    w: WArg,
    upstream: UpstreamOpt = None,
    layer: SlidingOpArg = SlidingOp.CORRELATE,
    of: GradOfOpt = GradOf.ALL,
    float64: Float64Opt = False,
    *,
    run: Run,
    options: OpOptions,
) -> None:
    from convcli.formats_grad import format_grad, rounded_grad_to_float64
    from convcli.grad import grad

    X, W, G = read_layer(x, w, upstream, run.exact)
    result = grad(X, W, G, Op(layer.value), options, of)
    if float64:
        result = rounded_grad_to_float64(result)
    emit(
        run,
        [x, w] if upstream is None else [x, w, upstream],
        lambda f: format_grad(result, f),
        lambda width: views("render_grad").grad_view(result, width=width),
        machine_notes=result.notes,  # the table view shows them under the gradients: said once
    )


@define_command(
    "pool",
    "Max or average pooling, as torch's max_pool2d and avg_pool2d, and its gradient with respect to "
    "A (--of grad-input). A 3-D input is C x H x W, pooled per channel.",
    examples(
        'convcli pool "0 1 2; 3 4 5; 6 7 8" --size 2 --stride 1',
        'convcli pool "0 1 2; 3 4 5; 6 7 8" --size 2 --kind avg --stride 1',
        "convcli pool samples/A.txt --size 3 --stride 2 --padding 1 --ceil-mode",
        'convcli pool "1 3 2 1; 4 2 1 5; 3 1 1 0; 1 2 2 4" --upstream "1 2; 3 4" --of grad-input',
    ),
    sliding=False,
)
def pool_command(
    a: AArg,
    kind: PoolKindOpt = PoolKind.MAX,
    size: PoolSizeOpt = "2",
    stride: PoolStrideOpt = None,
    padding: PoolPaddingOpt = "0",
    dilation: PoolDilationOpt = "1",
    ceil_mode: CeilModeOpt = False,
    count_pad: CountPadOpt = None,
    upstream: UpstreamOpt = None,
    of: PoolOfOpt = PoolOf.OUTPUT,
    float64: Float64Opt = False,
    *,
    run: Run,
) -> None:
    from convcli.formats_pool import format_pool, rounded_pool_to_float64
    from convcli.pool import pool

    options = pool_options(
        kind,
        size,
        None if stride is None else int_list(stride, "stride"),
        int_list(padding, "padding"),
        int_list(dilation, "dilation"),
        ceil_mode,
        count_pad,
    )
    A, G = read_pooled(a, upstream, run.exact)
    result = pool(A, options, upstream=G, of=of)
    if float64:
        result = rounded_pool_to_float64(result)
    inputs = [a] if upstream is None else [a, upstream]
    emit(
        run,
        inputs,
        lambda f: format_pool(result, f),
        lambda width: views("render_pool").pool_view(result, width=width),
        machine_notes=result.notes,
    )


def _size_or_matrix(text: str, option: str, exact: bool) -> tuple[int, ...]:
    """A size like 32x32, or the shape of a MATRIX argument (a file, inline, or named kernel)."""
    from convcli import kernels, shapes

    try:
        return shapes.parse_size(text, option)
    except UsageError as size_error:
        if not (
            os.path.exists(text) or kernels.named_kernel(text) is not None or any(c in text for c in " ;[")
        ):
            raise
        try:
            return tuple(parsing.read_matrix(text, name=option, exact=exact).shape)
        except ConvcliError:
            raise size_error from None


@define_command(
    "shape",
    "The output size of a convolution layer, with the formula and each library's 'same' padding.",
    examples(
        "convcli shape --input 32x32 --kernel 5 --stride 2 --padding 1",
        "convcli shape --input 227x227 --kernel 11 --stride 4",
        "convcli shape --input 4x4 --kernel 3 --stride 2 --transposed --output-padding 1",
        "convcli shape --input samples/A.txt --kernel samples/B.txt",
    ),
    sliding=False,
)
def shape_command(
    input: Annotated[
        str,
        typer.Option(
            "--input",
            metavar="HxW|MATRIX",
            show_default=False,
            help="The input size, or a matrix to take it from.",
            rich_help_panel=OPERATION,
        ),
    ],
    kernel: Annotated[
        str,
        typer.Option(
            "--kernel",
            metavar="K|KHxKW|MATRIX",
            show_default=False,
            help="The kernel size, or a matrix.",
            rich_help_panel=OPERATION,
        ),
    ],
    stride: StrideOpt = "1",
    padding: LayerPaddingOpt = "0",
    dilation: DilationOpt = "1",
    transposed: Annotated[
        bool,
        typer.Option("--transposed", help="Size of a transposed convolution.", rich_help_panel=OPERATION),
    ] = False,
    output_padding: OutputPaddingOpt = "0",
    convention: Annotated[
        Convention | None,
        typer.Option(
            "--convention",
            metavar="LIBRARY",
            case_sensitive=False,
            help=f"{choices(Convention)}: show only this library's 'same' padding.",
            rich_help_panel=OPERATION,
        ),
    ] = None,
    *,
    run: Run,
) -> None:
    from convcli import shapes

    report = shapes.report(
        _size_or_matrix(input, "--input", run.exact),
        _size_or_matrix(kernel, "--kernel", run.exact),
        int_list(stride, "stride"),
        int_list(padding, "padding"),
        int_list(dilation, "dilation"),
        transposed=transposed,
        output_padding=int_list(output_padding, "output-padding"),
    )
    shown = tuple(Convention) if convention is None else (convention,)
    emit(
        run,
        [input, kernel],
        lambda f: formats_layers.format_shape(report, f, shown),
        lambda width: views("render_layers").shape_view(report, width=width, conventions=shown),
    )


@define_command(
    "layers",
    "Follow a chain of torch layers: each layer's output shape, parameters, MACs and receptive "
    "field, and the totals. Layers as torch writes them, or a FILE (or - for a pipe) holding the "
    "text of print(model).",
    examples(
        'convcli layers --input 3x32x32 "Conv2d(3, 6, 5)" "MaxPool2d(2)" "Conv2d(6, 16, 5)" '
        '"MaxPool2d(2)" "Flatten()" "Linear(400, 120)" "ReLU()" "Linear(120, 84)" "Linear(84, 10)"',
        "convcli layers --input 1x32x32 samples/lenet.txt",
        'python -c "print(model)" | convcli layers --input 3x224x224 -',
        "convcli layers --input 1x32x32 samples/lenet.txt --at 4",
    ),
    sliding=False,
)
def layers_command(
    layer: Annotated[
        list[str],
        typer.Argument(
            metavar="LAYER... | FILE | -",
            show_default=False,
            help="Layers such as Conv2d(3, 6, 5) and MaxPool2d(2), or one FILE or - holding print(model).",
        ),
    ],
    input: Annotated[
        str,
        typer.Option(
            "--input",
            metavar="CxHxW|N",
            show_default=False,
            help="The input of one sample, without the batch axis: 3x32x32, or N for a flat vector.",
            rich_help_panel=OPERATION,
        ),
    ],
    at: Annotated[
        int | None,
        typer.Option(
            "--at",
            metavar="K",
            parser=whole_option,
            help="Explain layer K's numbers with the formulas filled in.",
            rich_help_panel=OUTPUT,
        ),
    ] = None,
    *,
    run: Run,
) -> None:
    from convcli import layers, modeltext, shapes

    size = layers.input_shape(shapes.parse_size(input, "--input"))
    network = layers.follow(size, modeltext.read_arguments(layer))
    if at is not None:
        explanation = layers.explain(network, at)
        emit(
            run,
            layer,
            lambda f: formats_layers.format_layer_at(explanation, network, f),
            lambda width: views("render_layers").layer_at_view(explanation, width=width),
        )
        return
    emit(
        run,
        layer,
        lambda f: formats_layers.format_layers(network, f),
        lambda width: views("render_layers").layers_view(network, width=width),
        machine_notes=network.notes,
    )


@define_command(
    "kernels",
    "The named kernels you can use in place of a matrix (sobel-x, gaussian:5:1.0, box:3, ...).",
    examples("convcli kernels", "convcli correlate samples/A.txt sobel-x", "convcli kernels -f json"),
    sliding=False,
)
def kernels_command(*, run: Run) -> None:
    from convcli import kernels

    entries = kernels.catalogue()
    emit(
        run,
        [],
        lambda f: formats.format_kernels(entries, f),
        lambda width: views().kernels_view(entries, width=width),
    )
