/**
 * The travel-demand model's parameters: typed config objects with defaults. Each
 * step hashes the part it reads into its cache key, so changing a mode-choice
 * coefficient re-runs mode choice and what follows it, never `init`.
 *
 * @module
 */

/** The travel modes, in the order the skims store them. */
export const MODES = ["car", "transit", "walk"] as const;

/** A travel mode. */
export type Mode = typeof MODES[number];

/** One zone of the linear city. */
export interface ZoneSpec {
  /** Position along the city's one axis, in miles. */
  readonly position: number;
  readonly population: number;
  readonly employment: number;
  /** Daily parking cost at this zone as a destination, in dollars. */
  readonly parkingCost: number;
}

/** Land use: the zones and how many synthetic persons stand for them. */
export interface ZoneConfig {
  readonly zones: readonly ZoneSpec[];
  /** One synthetic person (and one work trip) per this many residents. */
  readonly residentsPerPerson: number;
  /** Distance of a trip within one zone, in miles. */
  readonly intrazonalMiles: number;
}

/** The network: speeds and costs by mode, and the perturbation of car times. */
export interface NetworkConfig {
  /** Free-flow speeds in miles per hour. */
  readonly speedMph: Readonly<Record<Mode, number>>;
  /** Minutes added to every trip (walking to the car or the stop, waiting). */
  readonly accessMinutes: Readonly<Record<Mode, number>>;
  readonly costPerMile: Readonly<Record<Mode, number>>;
  /** A flat cost per trip (the transit fare). */
  readonly fixedCost: Readonly<Record<Mode, number>>;
  /** Scales free-flow car times: the perturbation a sensitivity run varies. */
  readonly carTimeFactor: number;
}

/** Mode choice: a multinomial logit over car, transit and walk. */
export interface ModeChoiceConfig {
  /** Alternative-specific constants. */
  readonly asc: Readonly<Record<Mode, number>>;
  /** Utility per minute of travel time. */
  readonly betaTime: number;
  /** Utility per dollar, for a person of reference income. */
  readonly betaCost: number;
  /** Income at which the cost coefficient is `betaCost`; it scales with reference / income. */
  readonly referenceIncome: number;
}

/** Destination choice: logsum accessibility and zone size (employment). */
export interface DestinationChoiceConfig {
  readonly betaLogsum: number;
  /** Coefficient of ln(employment). */
  readonly betaSize: number;
  /** Share of the previous iteration's trips that choose again (after iteration 0). */
  readonly updateShare: number;
}

/** Assignment and traffic simulation: occupancy, capacities and BPR congestion. */
export interface AssignmentConfig {
  readonly personsPerCar: number;
  /** Vehicles per period a link between two adjacent zones carries at free flow. */
  readonly linkCapacity: number;
  readonly bprAlpha: number;
  readonly bprBeta: number;
  /** Weight of the new congested times against the previous ones (method of successive averages). */
  readonly relaxation: number;
}

/** The whole model's configuration. */
export interface TravelDemandConfig {
  /** Seeds every random draw: iteration i draws from streams seeded by seed + i. */
  readonly seed: number;
  readonly zone: ZoneConfig;
  readonly network: NetworkConfig;
  readonly modeChoice: ModeChoiceConfig;
  readonly destinationChoice: DestinationChoiceConfig;
  readonly assignment: AssignmentConfig;
}

/**
 * The defaults: five zones two miles apart with jobs concentrated in the centre.
 *
 * @example
 * ```ts
 * import { DEFAULT_CONFIG } from "./config.ts"
 *
 * DEFAULT_CONFIG.zone.zones.length // 5
 * ```
 */
export const DEFAULT_CONFIG: TravelDemandConfig = {
  seed: 20240,
  zone: {
    zones: [
      { position: 0, population: 5000, employment: 1000, parkingCost: 0.5 },
      { position: 2, population: 6000, employment: 2500, parkingCost: 1.0 },
      { position: 4, population: 3000, employment: 9000, parkingCost: 6.0 },
      { position: 6, population: 4500, employment: 2500, parkingCost: 1.5 },
      { position: 8, population: 3500, employment: 1000, parkingCost: 0.5 },
    ],
    residentsPerPerson: 5,
    intrazonalMiles: 0.7,
  },
  network: {
    speedMph: { car: 30, transit: 15, walk: 3 },
    accessMinutes: { car: 3, transit: 10, walk: 0 },
    costPerMile: { car: 0.35, transit: 0, walk: 0 },
    fixedCost: { car: 0, transit: 2, walk: 0 },
    carTimeFactor: 1,
  },
  modeChoice: {
    asc: { car: 0, transit: -1.1, walk: -0.5 },
    betaTime: -0.08,
    betaCost: -0.45,
    referenceIncome: 50000,
  },
  destinationChoice: { betaLogsum: 0.8, betaSize: 1, updateShare: 0.3 },
  assignment: {
    personsPerCar: 1.15,
    linkCapacity: 1000,
    bprAlpha: 0.15,
    bprBeta: 4,
    relaxation: 0.5,
  },
};
