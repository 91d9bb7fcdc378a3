export { doctor, type DoctorOptions, type DoctorReport, type ProcessReport } from './doctor.js';
export { ProcessNotFoundError } from './errors.js';
export { checkNames, type CheckName, type Finding, type Status } from './finding.js';
