import * as tf from '@tensorflow/tfjs';

const KERNEL = 'Conv2DBackpropFilter';
const MARK = Symbol.for('loss-atlas.strided-conv2d-backprop-filter');

type Kernel = (args: { inputs: Record<string, tf.TensorInfo>; backend: tf.KernelBackend; attrs: Record<string, unknown> }) => tf.TensorInfo;

function wasmKernel(name: string): Kernel {
  const config = tf.getKernel(name, 'wasm');
  if (!config) throw new Error(`the wasm backend has no ${name} kernel`);
  return config.kernelFunc as unknown as Kernel;
}

/**
 * Conv2DBackpropFilter for the wasm backend with any stride (ResNets downsample with stride-2
 * convolutions; tfjs-backend-wasm 4.22 has no such kernel, and engine/tfjs/wasm-conv-filter-grad.ts
 * covers stride 1 only). For stride s, NHWC, no forward dilation:
 *   dW[i, j, c, o] = Σ_{b,h,w} x_pad[b, s·h + i, s·w + j, c] · dy[b, h, w, o]
 * which is a stride-1 convolution of x transposed to [C, H, W, B] with dy transposed to
 * [OH, OW, B, O] as a filter DILATED by s (same padding as the forward pass); its leading kh×kw
 * outputs, transposed from [C, kh, kw, O] to [kh, kw, C, O], are dW. Stride 1 gives the
 * stride-1 kernel's formula. Replaces a previously registered stride-1-only kernel; idempotent.
 */
export function registerWasmStridedConv2DBackpropFilter(): void {
  const existing = tf.getKernel(KERNEL, 'wasm') as (tf.KernelConfig & { [MARK]?: true }) | undefined;
  if (existing?.[MARK]) return;
  if (existing) tf.unregisterKernel(KERNEL, 'wasm');
  const conv2d = wasmKernel('Conv2D');
  const transpose = wasmKernel('Transpose');
  const slice = wasmKernel('Slice');
  const config: tf.KernelConfig & { [MARK]?: true } = {
    kernelName: KERNEL,
    backendName: 'wasm',
    kernelFunc: (({ inputs, backend, attrs }: Parameters<Kernel>[0]) => {
      const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
      const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs as {
        strides: number | [number, number];
        pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
        dataFormat: 'NHWC' | 'NCHW';
        dimRoundingMode?: 'floor' | 'round' | 'ceil';
        filterShape: [number, number, number, number];
      };
      if (dataFormat !== 'NHWC') throw new Error(`${KERNEL} on wasm supports NHWC only, got ${dataFormat}`);
      const info = tf.backend_util.computeConv2DInfo(x.shape as [number, number, number, number], filterShape, strides, 1, pad, dimRoundingMode);
      const { top, bottom, left, right } = info.padInfo;
      const xT = transpose({ inputs: { x }, backend, attrs: { perm: [3, 1, 2, 0] } });
      const dyT = transpose({ inputs: { x: dy }, backend, attrs: { perm: [1, 2, 0, 3] } });
      const full = conv2d({
        inputs: { x: xT, filter: dyT },
        backend,
        attrs: {
          strides: 1,
          dilations: [info.strideHeight, info.strideWidth],
          pad: [[0, 0], [top, bottom], [left, right], [0, 0]],
          dataFormat: 'NHWC',
          dimRoundingMode: undefined,
        },
      });
      const [kh, kw, inChannels, outChannels] = filterShape;
      const cropped = full.shape[1] === kh && full.shape[2] === kw
        ? full
        : slice({ inputs: { x: full }, backend, attrs: { begin: [0, 0, 0, 0], size: [inChannels, kh, kw, outChannels] } });
      const result = transpose({ inputs: { x: cropped }, backend, attrs: { perm: [1, 2, 0, 3] } });
      for (const temporary of new Set([xT, dyT, full, cropped])) backend.disposeData(temporary.dataId);
      return result;
    }) as unknown as tf.KernelFunc,
  };
  config[MARK] = true;
  tf.registerKernel(config);
}
