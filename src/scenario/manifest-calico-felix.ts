/**
 * FelixConfiguration as calicoctl reads it: the settings podnet's Felix uses, with Felix's defaults (VNI 4096,
 * port 4789, iptablesBackend Auto); every other FelixConfigurationSpec field is accepted with a
 * "not emulated" warning naming it, and anything else is an unknown field.
 */
import { defaultFelixConfiguration, type CalicoObject, type FelixConfiguration } from '../cluster/calico-resources.js';
import type { Origin } from '../cluster/source-ref.js';
import type { ManifestCtx } from './manifest-common.js';
import { ipv4, open } from './manifest-calico-common.js';
import type { SpecPath } from './source.js';

/** Every FelixConfigurationSpec json name (felixconfig.go); the ones podnet reads are FELIX_USED. */
const FELIX_FIELDS =
  'allowIPIPPacketsFromWorkloads allowVXLANPacketsFromWorkloads awsSrcDstCheck bpfAttachType bpfCTLBLogFilter bpfConnectTimeLoadBalancing bpfConnectTimeLoadBalancingEnabled bpfConntrackLogLevel bpfConntrackMode bpfConntrackTimeouts bpfDSROptoutCIDRs bpfDataIfacePattern bpfDisableGROForIfaces bpfDisableUnprivileged bpfEnabled bpfEnforceRPF bpfExcludeCIDRsFromNAT bpfExportBufferSizeMB bpfExtToServiceConnmark bpfExternalServiceMode bpfForceTrackPacketsFromIfaces bpfHostConntrackBypass bpfHostNetworkedNATWithoutCTLB bpfIPFragTimeout bpfIPFragmentReassemblyEnabled bpfJITHardening bpfKubeProxyHealthzPort bpfKubeProxyIptablesCleanupEnabled bpfKubeProxyMinSyncPeriod bpfL3IfacePattern bpfLogFilters bpfLogLevel bpfMaglevMaxEndpointsPerService bpfMaglevMaxServices bpfMapSizeConntrack bpfMapSizeConntrackCleanupQueue bpfMapSizeConntrackScaling bpfMapSizeIPSets bpfMapSizeIfState bpfMapSizeNATAffinity bpfMapSizeNATBackend bpfMapSizeNATFrontend bpfMapSizePerCpuConntrack bpfMapSizeRoute bpfOverlayHostSourceIP bpfPSNATPorts bpfPolicyDebugEnabled bpfProfiling bpfRedirectToPeer cgroupV2Path chainInsertMode dataplaneDriver dataplaneWatchdogTimeout debugDisableLogDropping debugHost debugMemoryProfilePath debugPort debugSimulateCalcGraphHangAfter debugSimulateDataplaneApplyDelay debugSimulateDataplaneHangAfter defaultEndpointToHostAction deviceRouteProtocol deviceRouteSourceAddress deviceRouteSourceAddressIPv6 disableConntrackInvalidCheck endpointReportingDelay endpointReportingEnabled endpointStatusPathPrefix externalNodesList failsafeInboundHostPorts failsafeOutboundHostPorts featureDetectOverride featureGates floatingIPs flowLogsCollectorDebugTrace flowLogsFlushInterval flowLogsGoldmaneServer flowLogsLocalReporter flowLogsPolicyEvaluationMode genericXDPEnabled goGCThreshold goMaxProcs goMemoryLimitMB healthEnabled healthHost healthPort healthTimeoutOverrides interfaceExclude interfacePrefix interfaceRefreshInterval ipForwarding ipipEnabled ipipMTU ipsetsRefreshInterval iptablesBackend iptablesFilterAllowAction iptablesFilterDenyAction iptablesLockProbeInterval iptablesMangleAllowAction iptablesMarkMask iptablesNATOutgoingInterfaceFilter iptablesPostWriteCheckInterval iptablesRefreshInterval ipv4ElevatedRoutePriority ipv4NormalRoutePriority ipv6ElevatedRoutePriority ipv6NormalRoutePriority ipv6Support istioAmbientMode istioDSCPMark kubeNodePortRanges liveMigrationRouteConvergenceTime localSubnetL2Reachability localSubnetL2ReachabilityRefreshInterval logActionRateLimit logActionRateLimitBurst logDebugFilenameRegex logFilePath logPrefix logSeverityFile logSeverityScreen logSeveritySys maxIpsetSize metadataAddr metadataPort mtuIfacePattern natOutgoingAddress natOutgoingExclusions natPortRange netlinkTimeout nftablesFilterAllowAction nftablesFilterDenyAction nftablesFlowTableDataIfacePattern nftablesFlowTableOffload nftablesMangleAllowAction nftablesMarkMask nftablesMode nftablesRefreshInterval nodeSelector openstackRegion policySyncPathPrefix programClusterRoutes prometheusGoMetricsEnabled prometheusMetricsCAFile prometheusMetricsCertFile prometheusMetricsClientAuth prometheusMetricsEnabled prometheusMetricsHost prometheusMetricsKeyFile prometheusMetricsPort prometheusProcessMetricsEnabled prometheusWireGuardMetricsEnabled removeExternalRoutes reportingInterval reportingTTL requireMTUFile routeRefreshInterval routeSource routeSyncDisabled routeTableRange routeTableRanges serviceLoopPrevention sidecarAccelerationEnabled usageReportingEnabled usageReportingInitialDelay usageReportingInterval useInternalDataplaneDriver vxlanEnabled vxlanMTU vxlanMTUV6 vxlanPort vxlanVNI windowsManageFirewallRules wireguardEnabled wireguardEnabledV6 wireguardHostEncryptionEnabled wireguardInterfaceName wireguardInterfaceNameV6 wireguardKeepAlive wireguardListeningPort wireguardListeningPortV6 wireguardMTU wireguardMTUV6 wireguardRoutingRulePriority wireguardThreadingEnabled workloadSourceSpoofing xdpEnabled xdpRefreshInterval'.split(
    ' ',
  );

/** Felix settings podnet reads; every other Felix field is accepted with a "not emulated" warning. */
const FELIX_USED = [
  'ipipEnabled',
  'vxlanEnabled',
  'vxlanVNI',
  'vxlanPort',
  'ipipMTU',
  'vxlanMTU',
  'natOutgoingAddress',
  'iptablesBackend',
  // settings whose default podnet's Felix already behaves as (logging) are read and kept quiet
  'logSeverityScreen',
];

/** projectcalico.org/v3 FelixConfiguration. */
export function felixConfiguration(
  ctx: ManifestCtx,
  base: SpecPath,
  o: Record<string, unknown>,
  origin: Origin,
): CalicoObject | undefined {
  const { c } = ctx;
  const opened = open(
    ctx,
    base,
    o,
    FELIX_USED,
    FELIX_FIELDS.filter((f) => !FELIX_USED.includes(f)),
  );
  if (opened === undefined) return undefined;
  const { metadata, sp, spec } = opened;
  const d = defaultFelixConfiguration();
  const felix: { -readonly [K in keyof FelixConfiguration]: FelixConfiguration[K] } = {
    ...d,
    name: metadata?.name ?? '',
  };
  if (spec.ipipEnabled !== undefined) felix.ipipEnabled = c.bool([...sp, 'ipipEnabled'], spec.ipipEnabled);
  if (spec.vxlanEnabled !== undefined) felix.vxlanEnabled = c.bool([...sp, 'vxlanEnabled'], spec.vxlanEnabled);
  if (spec.vxlanVNI !== undefined)
    felix.vxlanVNI = c.int([...sp, 'vxlanVNI'], spec.vxlanVNI, { min: 1, max: 0xff_ffff }) ?? d.vxlanVNI;
  if (spec.vxlanPort !== undefined)
    felix.vxlanPort = c.int([...sp, 'vxlanPort'], spec.vxlanPort, { min: 1, max: 65535 }) ?? d.vxlanPort;
  if (spec.ipipMTU !== undefined) felix.ipipMTU = c.int([...sp, 'ipipMTU'], spec.ipipMTU, { min: 68, max: 65535 });
  if (spec.vxlanMTU !== undefined) felix.vxlanMTU = c.int([...sp, 'vxlanMTU'], spec.vxlanMTU, { min: 68, max: 65535 });
  if (spec.natOutgoingAddress !== undefined && spec.natOutgoingAddress !== '')
    felix.natOutgoingAddress = ipv4(ctx, [...sp, 'natOutgoingAddress'], spec.natOutgoingAddress);
  if (spec.iptablesBackend !== undefined)
    felix.iptablesBackend =
      c.oneOf([...sp, 'iptablesBackend'], spec.iptablesBackend, ['Legacy', 'NFT', 'Auto'] as const) ??
      d.iptablesBackend;
  for (const k of Object.keys(felix) as (keyof FelixConfiguration)[]) if (felix[k] === undefined) delete felix[k];
  if (metadata === undefined) return undefined;
  return { kind: 'FelixConfiguration', metadata, spec: felix, origin };
}
