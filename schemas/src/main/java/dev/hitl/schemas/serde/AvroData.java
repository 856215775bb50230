package dev.hitl.schemas.serde;

import org.apache.avro.Conversions;
import org.apache.avro.data.TimeConversions;
import org.apache.avro.generic.GenericData;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificRecord;

/** The Avro data models the serdes use, with logical-type conversions for decimals and timestamps. */
final class AvroData {

    /** Generic model: decimals read as BigDecimal, timestamp-millis as Instant. */
    static final GenericData GENERIC = genericWithConversions();

    private AvroData() {}

    /**
     * @param type a class generated from an Avro schema
     * @return the model generated with it, carrying its logical-type conversions
     */
    static SpecificData specific(final Class<? extends SpecificRecord> type) {
        return SpecificData.getForClass(type);
    }

    private static GenericData genericWithConversions() {
        final GenericData data = new GenericData();
        data.addLogicalTypeConversion(new Conversions.DecimalConversion());
        data.addLogicalTypeConversion(new TimeConversions.TimestampMillisConversion());
        data.addLogicalTypeConversion(new TimeConversions.TimestampMicrosConversion());
        data.addLogicalTypeConversion(new TimeConversions.DateConversion());
        data.addLogicalTypeConversion(new Conversions.UUIDConversion());
        return data;
    }
}
