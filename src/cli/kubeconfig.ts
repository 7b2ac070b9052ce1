import type { KubeConfig } from '@kubernetes/client-node';
import { PolicyforgeError } from '../../common/index.js';

/**
 * The kubeconfig for a command that talks to a cluster: --kubeconfig, else KUBECONFIG / ~/.kube/config /
 * in-cluster, then --context. The client (826 modules) is loaded here, on first use, so commands that
 * never contact a cluster (`test`, `lint` without --kubeconfig) start without it.
 */
export async function loadKubeConfig(flags: { kubeconfig?: string; context?: string }): Promise<KubeConfig> {
  const { KubeConfig } = await import('@kubernetes/client-node');
  const kubeConfig = new KubeConfig();
  try {
    if (flags.kubeconfig) kubeConfig.loadFromFile(flags.kubeconfig);
    else kubeConfig.loadFromDefault();
    if (flags.context) kubeConfig.setCurrentContext(flags.context);
  } catch (err) {
    throw new PolicyforgeError('PF_ERR_CONFIG', [`cannot load the kubeconfig: ${(err as Error).message}`]);
  }
  return kubeConfig;
}
